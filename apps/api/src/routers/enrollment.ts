import { z } from "zod";
import { createEnrollmentToken } from "../services/enrollment-tokens.ts";
import { adminProcedure, router } from "../trpc.ts";
import { uuid } from "./inputs.ts";

export const enrollmentRouter = router({
  createToken: adminProcedure
    .input(z.object({ userId: uuid }).strict())
    .mutation(({ ctx, input }) => createEnrollmentToken(ctx.deps, ctx.tenantId, input.userId, ctx.actor)),
});
