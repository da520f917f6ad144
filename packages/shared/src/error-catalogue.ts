import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An API's error codes: each code's HTTP status and default message. */
export type ErrorCatalogue<C extends string = string> = Record<C, { status: ContentfulStatusCode; message: string }>;

/**
 * A failure with a code from an API's catalogue, thrown anywhere in a worker and rendered once by its
 * error handler. The status always comes from the catalogue; the message is the catalogue's unless the
 * thrower has something more specific to say.
 */
export class CatalogueError<C extends string> extends Error {
  readonly code: C;
  readonly status: ContentfulStatusCode;

  constructor(catalogue: ErrorCatalogue<C>, code: C, message?: string) {
    super(message ?? catalogue[code].message);
    this.code = code;
    this.status = catalogue[code].status;
  }
}
