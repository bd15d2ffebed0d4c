/**
 * Query strings carry only text: a procedure's number and boolean inputs are read from it with the
 * procedure's own rules. Numbers are the same zod number (limits and all) reading its string;
 * booleans are exactly `true` or `false` (zod's boolean coercion would read "false" as true).
 */
import { z } from "zod";

export const queryBoolean = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  // Documented as the boolean it stands for: generated clients then take true/false and send the text.
  .meta({ type: "boolean" });

function queryField(field: z.ZodType): z.ZodType {
  if (field instanceof z.ZodOptional) return queryField(field.unwrap() as z.ZodType).optional();
  // The procedure applies its own default when the parameter is left out.
  if (field instanceof z.ZodDefault) return queryField(field.unwrap() as z.ZodType).optional();
  // A copy: the procedure's own schema must keep refusing strings.
  if (field instanceof z.ZodNumber) return field.clone({ ...field._zod.def, coerce: true });
  if (field instanceof z.ZodBoolean) return queryBoolean;
  return field;
}

/** The query-string form of some fields of a procedure's input; unknown parameters are refused. */
export function queryOf(shape: Record<string, z.ZodType>) {
  return z.object(Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, queryField(field)]))).strict();
}
