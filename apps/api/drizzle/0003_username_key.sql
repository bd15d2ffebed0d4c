DROP INDEX "users_tenant_username_idx";--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "username_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_tenant_username_key_idx" ON "users" USING btree ("tenant_id","username_key") WHERE "users"."deleted_at" is null;