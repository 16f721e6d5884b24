/** pino JSON logs to stderr, one child logger per component. */
import { pino, destination, type Logger } from 'pino';

let root: Logger | null = null;

export function rootLogger(): Logger {
  root ??= pino({ level: process.env.EXFIL_SENSOR_LOG_LEVEL ?? 'info', base: { app: 'exfil-sensor' } }, destination(2));
  return root;
}

export function logger(component: string): Logger {
  return rootLogger().child({ component });
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}
