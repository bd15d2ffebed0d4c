import { z } from "zod";
import { createEnrollmentToken } from "../services/enrollment/enrollment-codes.ts";
import { adminProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

export const enrollmentRouter = router({
  createToken: adminProcedure
    .input(z.object({ userId: uuid }).strict())
    .mutation(({ ctx, input }) => createEnrollmentToken(ctx.deps, ctx.scope, input)),
});
