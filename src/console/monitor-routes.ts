import type { FastifyInstance } from "fastify";
import { ClickstreamError } from "../errors/clickstream-error.js";
import type { ConsoleContext } from "./console-context.js";
import type { LiveAnswer, QualityAnswer, RejectsAnswer } from "./api-types.js";

const maxLiveEvents = 200;
const maxSamples = 500;

/**
 * The panels that read the pipeline directly instead of SQL: data quality from the transform's run
 * reports and errors/, and the live events (the in-process collector, or the newest raw objects).
 */
export function registerMonitorRoutes(app: FastifyInstance, context: ConsoleContext): void {
  app.get("/api/quality", async (): Promise<QualityAnswer> => ({
    source: "run reports under _state/transform/runs/, by the UTC day the transform ran",
    days: await context.quality.perDay(),
  }));

  app.get<{ Querystring: { day?: string; reason?: string; limit?: string } }>(
    "/api/quality/rejects",
    async (request): Promise<RejectsAnswer> => {
      const { day, reason } = request.query;
      if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", "day must be a date YYYY-MM-DD");
      }
      const limit = boundedInt(request.query.limit, 20, maxSamples, "limit");
      return {
        source: "errors/ objects written by that day's transform runs",
        rejects: await context.quality.samples(day, reason || undefined, limit),
      };
    },
  );

  app.get<{ Querystring: { limit?: string } }>("/api/live", async (request): Promise<LiveAnswer> => {
    const limit = boundedInt(request.query.limit, 50, maxLiveEvents, "limit");
    return { source: context.live.description, events: await context.live.recent(limit) };
  });
}

function boundedInt(value: string | undefined, fallback: number, max: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ClickstreamError("CS_ERR_INVALID_ARGUMENT", `${name} must be an integer from 1 to ${max}`);
  }
  return n;
}
