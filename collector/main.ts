/**
 * exfil-collector [--config F]: the central collector (SPEC sections 8 and 9). Exit codes: 0 ok
 * (stopped by SIGINT/SIGTERM), 2 bad usage or config, 1 runtime failure (store cannot open, port
 * taken).
 */
import { parseArgs } from 'node:util';
import { pino, destination } from 'pino';
import { defaultCollectorConfig, loadCollectorConfig, DEMO_SENSOR, DEMO_USERS, type CollectorConfig } from './config.js';
import { CollectorError, CollectorErrorCodes } from './errors.js';
import { CollectorServer } from './server.js';
import { openStore, redact } from './store/open.js';

const USAGE = `usage: exfil-collector [--config F] [--host H] [--port N]

  --config F   collector config (YAML, see config/collector.yaml); without it the collector runs on
               embedded demo defaults: SQLite under ~/.exfil-collector (EXFIL_COLLECTOR_DATA), sensor
               '${DEMO_SENSOR.id}' with token '${DEMO_SENSOR.token}', analyst and admin demo tokens
  --host H     listen address (overrides listen.host)
  --port N     listen port, 0 = any free port (overrides listen.port)
  --check      validate the config and exit
`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`exfil-collector: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let cfg: CollectorConfig;
  try {
    cfg = values.config !== undefined ? loadCollectorConfig(values.config) : defaultCollectorConfig();
  } catch (e) {
    process.stderr.write(`exfil-collector: config error:\n${(e as Error).message}\n`);
    return 2;
  }
  if (values.port !== undefined) {
    const n = Number(values.port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      process.stderr.write(`exfil-collector: --port must be an integer 0..65535, got '${values.port}'\n`);
      return 2;
    }
    cfg = { ...cfg, listen: { ...cfg.listen, port: n } };
  }
  if (values.host !== undefined) cfg = { ...cfg, listen: { ...cfg.listen, host: values.host } };
  if (values.check) {
    process.stdout.write(`${cfg.source}: ok\n`);
    return 0;
  }
  const log = pino({ level: process.env.EXFIL_COLLECTOR_LOG_LEVEL ?? cfg.logging.level, base: { app: 'exfil-collector' } }, destination(2));
  let server: CollectorServer;
  try {
    const store = await openStore(cfg.storage);
    server = new CollectorServer({ config: cfg, store, log });
    await server.listen();
  } catch (e) {
    const err = e instanceof CollectorError ? e : new CollectorError(CollectorErrorCodes.INTERNAL, (e as Error).message, { cause: e });
    process.stderr.write(`exfil-collector: ${err.code}: ${err.message}\n`);
    return err.exitCode;
  }
  const where = cfg.storage.kind === 'sqlite' ? cfg.storage.path : redact(cfg.storage.url);
  const lines = [`exfil-collector listening on ${server.url} (store: ${cfg.storage.kind} ${where}; config: ${cfg.source})`];
  if (values.config === undefined) {
    const analyst = DEMO_USERS[0]!;
    lines.push(
      `demo sensor '${DEMO_SENSOR.id}' token: ${DEMO_SENSOR.token}`,
      ...DEMO_USERS.map((u) => `demo ${u.role} '${u.name}' token: ${u.token}`),
      `web page: ${server.url}/#token=${analyst.token}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  log.info({ url: server.url, store: cfg.storage.kind }, 'collector started');
  server.purge().catch((e: unknown) => log.error({ err: e }, 'retention purge failed'));
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  await server.store.close();
  log.info('collector stopped');
  return 0;
}
