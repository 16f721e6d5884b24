/**
 * Loading the sensor config (SPEC section 7): one YAML file, validated as a whole before the
 * sensor starts. Every problem (YAML syntax, duplicate key, unknown key, wrong type, bad unit,
 * CIDR, regex, time zone, contradictory keys) is collected with its key path and line; any
 * problem throws one ConfigError carrying all of them (fastify's validate-then-throw-with-
 * `.errors`). A valid file is resolved (units converted) and deep-frozen.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, isAlias, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { deepFreeze, resolveConfig } from './resolve.js';
import type { SensorConfig } from './types.js';
import { validateRaw, type PathSegment, type RawIssue } from './validate.js';

export type { SensorConfig } from './types.js';
export { DEFAULT_CONFIG } from './defaults.js';

/** Refuse absurd inputs before parsing them (a real config is a few KiB). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface LoadOptions {
  /** Cores that `workers: auto` means (default os.availableParallelism()). */
  availableParallelism?: number;
}

/** `['verdict', 'ladder', 'low', 0, 'min_ratio']` -> `verdict.ladder.low[0].min_ratio`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

class Locator {
  readonly #doc: Document;
  readonly #lc: LineCounter;

  constructor(doc: Document, lc: LineCounter) {
    this.#doc = doc;
    this.#lc = lc;
  }

  lineAt(offset: number): number {
    return this.#lc.linePos(offset).line;
  }

  #lineOf(node: unknown, fallback: number): number {
    const range = (node as Node | null)?.range;
    return range ? this.lineAt(range[0]) : fallback;
  }

  #deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.#doc) : node;
  }

  /** Line of the deepest part of `path` present in the file (the key's line for map entries). */
  line(path: readonly PathSegment[]): number {
    let node = this.#deref(this.#doc.contents);
    let line = this.#lineOf(node, 1);
    for (const seg of path) {
      if (isMap(node)) {
        // With a duplicated key the last one is what the sensor uses (and what toJS returned).
        const pair = node.items.findLast((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        line = this.#lineOf(pair.key, line);
        node = this.#deref(pair.value);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        line = this.#lineOf(item, line);
        node = this.#deref(item);
      } else {
        break;
      }
    }
    return line;
  }

  /** The key path of the map key starting at `offset`, and the line of an earlier equal key. */
  keyAt(offset: number): { path: PathSegment[]; firstLine: number | null } | null {
    const visit = (node: unknown, path: PathSegment[]): { path: PathSegment[]; firstLine: number | null } | null => {
      if (isMap(node)) {
        for (const pair of node.items as Pair[]) {
          const k = keyText(pair.key);
          const range = (pair.key as Node | null)?.range;
          if (k !== undefined && range && range[0] === offset) {
            const first = (node.items as Pair[]).find((p) => p !== pair && keyText(p.key) === k);
            return { path: [...path, k], firstLine: first ? this.#lineOf(first.key, 0) : null };
          }
          const found = visit(pair.value, k === undefined ? path : [...path, k]);
          if (found) return found;
        }
      } else if (isSeq(node)) {
        for (const [i, item] of node.items.entries()) {
          const found = visit(item, [...path, i]);
          if (found) return found;
        }
      } else if (isPair(node)) {
        return visit(node.value, path);
      }
      return null;
    };
    return visit(this.#doc.contents, []);
  }
}

function yamlIssues(doc: Document, loc: Locator, text: string): ConfigIssue[] {
  return [...doc.errors, ...doc.warnings].map((e) => {
    let offset = e.pos[0];
    while (offset < text.length && /\s/.test(text[offset] ?? '')) offset++;
    const line = loc.lineAt(Math.min(offset, Math.max(0, text.length - 1)));
    if (e.code === 'DUPLICATE_KEY') {
      const key = loc.keyAt(offset);
      if (key) {
        const first = key.firstLine ? ` (first at line ${key.firstLine}; the last one would win)` : '';
        return { path: formatPath(key.path), line, message: `duplicate key${first}` };
      }
    }
    const message =
      e.code === 'MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document (a second "---"); the config is one document'
        : e.message.replace(/\s+/g, ' ').replace(/ at line \d+, column \d+.*$/, '');
    return { path: '', line, message: `YAML: ${message}` };
  });
}

/**
 * Parse and validate config text. `fileName` names the file in errors and anchors relative
 * paths. Throws ConfigError with every problem; returns the resolved, frozen config.
 */
export function parseConfig(text: string, fileName: string, opts: LoadOptions = {}): SensorConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, schema: 'core', merge: true, uniqueKeys: true });
  const loc = new Locator(doc, lineCounter);
  const issues = yamlIssues(doc, loc, text);
  // Validate the content unless the YAML itself is broken (its structure would mislead).
  const structural = doc.errors.some((e) => e.code !== 'DUPLICATE_KEY');
  let raw: unknown;
  if (!structural) {
    try {
      raw = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      issues.push({ path: '', line: 1, message: `YAML: ${(e as Error).message}` });
    }
    if (issues.every((i) => i.message.startsWith('duplicate key'))) {
      const rawIssues: RawIssue[] = validateRaw(raw);
      for (const r of rawIssues) issues.push({ path: formatPath(r.path), line: loc.line(r.path), message: r.message });
    }
  }
  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    throw new ConfigError(fileName, issues);
  }
  return deepFreeze(resolveConfig(raw as Record<string, unknown>, { file: fileName, availableParallelism: opts.availableParallelism }));
}

/** Read, validate and resolve a config file; throws ConfigError (exit code 2) on any problem. */
export function loadConfig(file: string, opts: LoadOptions = {}): SensorConfig {
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_CONFIG_BYTES) {
      throw new ConfigError(file, [{ path: '', line: 0, message: `is ${buf.length} bytes; a config file is at most ${MAX_CONFIG_BYTES}` }]);
    }
    text = buf.toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(file, [{ path: '', line: 0, message: `cannot read the config file: ${err.code ?? err.message}` }]);
  }
  return parseConfig(text, file, opts);
}
