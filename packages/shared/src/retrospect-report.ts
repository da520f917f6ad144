import { z } from 'zod';

/**
 * What a retrospect's PDF report shows: the api loads it (after checking the caller may export) and sends it
 * to the export worker, which renders it. Bounded (generously, above what the database holds) so no request asks for an unbounded document.
 */
const text = (max: number) => z.string().max(max);

export const retrospectReportSchema = z.object({
  retrospectId: z.number().int().positive(),
  projectName: text(200),
  roomName: text(200),
  method: text(50),
  /** KST wall-clock date and time of the retrospect, e.g. `2026-03-02 14:00`. */
  startsAt: text(50),
  participants: z.array(text(100)).max(10_000),
  insight: text(100_000).nullable(),
  questions: z
    .array(
      z.object({
        index: z.number().int(),
        content: text(10_000),
        answers: z.array(z.object({ author: text(100), content: text(100_000) })).max(10_000),
      }),
    )
    .max(1000),
  generatedAt: text(50),
});

export type RetrospectReport = z.infer<typeof retrospectReportSchema>;

/** The export worker's one route, as the api calls it through its service binding. */
export const RETROSPECT_REPORT_PATH = '/v1/retrospect-report';
