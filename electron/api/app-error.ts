import type { ApiError, ErrorCode } from '../common/contract.ts';

/**
 * An error meant for the administrator: a stable code and a sentence that names the cause. Services throw these;
 * the transports turn them into ApiError replies. Anything else that escapes a handler is reported as 'internal'
 * without its stack (stacks and secrets never cross the seam).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'internal', message: 'Internal error: ' + (err instanceof Error ? err.message : String(err)) };
}
