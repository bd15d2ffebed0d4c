import { enrollmentCodeSchema } from "@sesame/core";
import { createEnrollmentToken } from "../services/enrollment/enrollment-codes.ts";
import { adminProcedure, router } from "../trpc.ts";
import { userRefInput } from "./users.ts";

export const enrollmentRouter = router({
  createToken: adminProcedure.input(userRefInput).output(enrollmentCodeSchema).mutation(({ ctx, input }) => createEnrollmentToken(ctx.deps, ctx.scope, input)),
});
