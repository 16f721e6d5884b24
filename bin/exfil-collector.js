#!/usr/bin/env node
// Entry point of the collector: the compiled code lives in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/collector/main.js';

process.exitCode = await main(process.argv.slice(2));
