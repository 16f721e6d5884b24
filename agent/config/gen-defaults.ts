/** Build step: write the resolved default config next to the compiled `defaults.js`. */
import { writeFileSync } from 'node:fs';
import { computeDefaultConfig, GENERATED_DEFAULTS_FILE } from './defaults.js';

writeFileSync(GENERATED_DEFAULTS_FILE, `${JSON.stringify(computeDefaultConfig(), null, 1)}\n`);
