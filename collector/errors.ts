/**
 * The collector's error catalogue. Every error an API caller or operator can see has a stable
 * `code` (COLLECTOR_ERR_<WHAT>) and an HTTP status; messages name what locates the problem
 * (record index, key path, file and line).
 */
export const CollectorErrorCodes = {
  USAGE: 'COLLECTOR_ERR_USAGE',
  CONFIG_INVALID: 'COLLECTOR_ERR_CONFIG_INVALID',
  STORE_OPEN: 'COLLECTOR_ERR_STORE_OPEN',
  MIGRATION: 'COLLECTOR_ERR_MIGRATION',
  UNAUTHORIZED: 'COLLECTOR_ERR_UNAUTHORIZED',
  FORBIDDEN: 'COLLECTOR_ERR_FORBIDDEN',
  SENSOR_MISMATCH: 'COLLECTOR_ERR_SENSOR_MISMATCH',
  NOT_FOUND: 'COLLECTOR_ERR_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'COLLECTOR_ERR_METHOD_NOT_ALLOWED',
  BODY_TOO_LARGE: 'COLLECTOR_ERR_BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'COLLECTOR_ERR_UNSUPPORTED_MEDIA_TYPE',
  BAD_BODY: 'COLLECTOR_ERR_BAD_BODY',
  BAD_BATCH: 'COLLECTOR_ERR_BAD_BATCH',
  BAD_REQUEST: 'COLLECTOR_ERR_BAD_REQUEST',
  BAD_RECORD: 'COLLECTOR_ERR_BAD_RECORD',
  INVALID_TRANSITION: 'COLLECTOR_ERR_INVALID_TRANSITION',
  OVERLOADED: 'COLLECTOR_ERR_OVERLOADED',
  INTERNAL: 'COLLECTOR_ERR_INTERNAL',
} as const;

export type CollectorErrorCode = (typeof CollectorErrorCodes)[keyof typeof CollectorErrorCodes];

const STATUS: Partial<Record<CollectorErrorCode, number>> = {
  COLLECTOR_ERR_UNAUTHORIZED: 401,
  COLLECTOR_ERR_FORBIDDEN: 403,
  COLLECTOR_ERR_SENSOR_MISMATCH: 403,
  COLLECTOR_ERR_NOT_FOUND: 404,
  COLLECTOR_ERR_METHOD_NOT_ALLOWED: 405,
  COLLECTOR_ERR_INVALID_TRANSITION: 409,
  COLLECTOR_ERR_BODY_TOO_LARGE: 413,
  COLLECTOR_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  COLLECTOR_ERR_BAD_BODY: 400,
  COLLECTOR_ERR_BAD_BATCH: 400,
  COLLECTOR_ERR_BAD_REQUEST: 400,
  COLLECTOR_ERR_BAD_RECORD: 400,
  COLLECTOR_ERR_OVERLOADED: 503,
};

export class CollectorError extends Error {
  readonly code: CollectorErrorCode;
  readonly status: number;
  readonly exitCode: 1 | 2;
  /** Extra fields for the JSON error body (e.g. `path` of a bad query parameter). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: CollectorErrorCode,
    message: string,
    options?: { cause?: unknown; exitCode?: 1 | 2; status?: number; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CollectorError';
    this.code = code;
    this.status = options?.status ?? STATUS[code] ?? 500;
    this.exitCode = options?.exitCode ?? 1;
    this.details = options?.details;
  }
}

/** A request the API refuses: `field` names the parameter or body key at fault. */
export function badRequest(field: string, message: string): CollectorError {
  return new CollectorError(CollectorErrorCodes.BAD_REQUEST, `${field}: ${message}`, { details: { field } });
}
