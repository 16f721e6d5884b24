/**
 * The sensor's error catalogue. Every error has a stable `code` (SENSOR_ERR_<AREA>_<WHAT>) and
 * carries what locates the problem (file, byte offset, key path, line). `exitCode` follows the
 * CLI contract: 2 for bad usage or config, 1 for runtime failures.
 */
export const ErrorCodes = {
  USAGE: 'SENSOR_ERR_USAGE',
  CONFIG_INVALID: 'SENSOR_ERR_CONFIG_INVALID',
  CAPTURE_OPEN: 'SENSOR_ERR_CAPTURE_OPEN',
  CAPTURE_FORMAT: 'SENSOR_ERR_CAPTURE_FORMAT',
  CAPTURE_CORRUPT: 'SENSOR_ERR_CAPTURE_CORRUPT',
  NATIVE_LOAD: 'SENSOR_ERR_NATIVE_LOAD',
  NATIVE_LAYOUT: 'SENSOR_ERR_NATIVE_LAYOUT',
  WORKER_LOST: 'SENSOR_ERR_WORKER_LOST',
  OUTPUT: 'SENSOR_ERR_OUTPUT',
  STATE_OPEN: 'SENSOR_ERR_STATE_OPEN',
  TRANSPORT_SPOOL: 'SENSOR_ERR_TRANSPORT_SPOOL',
  TRANSPORT_PAYLOAD: 'SENSOR_ERR_TRANSPORT_PAYLOAD',
  TRANSPORT_CONFIG: 'SENSOR_ERR_TRANSPORT_CONFIG',
  TRANSPORT_COLLECTOR: 'SENSOR_ERR_TRANSPORT_COLLECTOR',
  METRICS: 'SENSOR_ERR_METRICS',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class SensorError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: 1 | 2;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; exitCode?: 1 | 2 }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SensorError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 1;
  }
}

export class UsageError extends SensorError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** A capture file that is damaged past some point: everything before `offset` was processed. */
export class CaptureFileError extends SensorError {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(ErrorCodes.CAPTURE_CORRUPT, `${file}: ${reason.replaceAll('_', ' ')} at byte offset ${offset}`);
    this.name = 'CaptureFileError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** One problem in a config file. `path` uses the YAML keys (`verdict.ladder.low[0].min_ratio`). */
export interface ConfigIssue {
  path: string;
  /** 1-based line in the file; 0 when the problem is the file as a whole (unreadable). */
  line: number;
  message: string;
}

/** `file:line: path: message`, the form editors and CI annotate (path and line left out when unknown). */
export function formatConfigIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${file}:${issue.line}` : file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/**
 * A config file that failed validation. Carries *every* problem found (`errors`), in file order;
 * the message lists them one per line as `file:line: path: message`.
 */
export class ConfigError extends SensorError {
  readonly file: string;
  readonly errors: readonly ConfigIssue[];

  constructor(file: string, errors: readonly ConfigIssue[]) {
    super(ErrorCodes.CONFIG_INVALID, errors.map((e) => formatConfigIssue(file, e)).join('\n'), { exitCode: 2 });
    this.name = 'ConfigError';
    this.file = file;
    this.errors = errors;
  }
}
