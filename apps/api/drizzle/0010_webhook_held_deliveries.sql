DROP INDEX "webhook_deliveries_pending_seq_idx";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "held" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- A disabled endpoint's backlog is held from the start; a queue behind a failing head is held at that head's next failure.
UPDATE "webhook_deliveries" SET "held" = true WHERE "status" = 'pending' AND "endpoint_id" IN (SELECT "id" FROM "webhook_endpoints" WHERE NOT "enabled");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_held_idx" ON "webhook_deliveries" USING btree ("endpoint_id","order_key","order_seq") WHERE "webhook_deliveries"."status" = 'pending' and "webhook_deliveries"."held";--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_seq_idx" ON "webhook_deliveries" USING btree ("order_seq") WHERE "webhook_deliveries"."status" = 'pending' and not "webhook_deliveries"."held";