#!/usr/bin/env node
// Entry point: the compiled agent lives in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/agent/main.js';

process.exitCode = await main(process.argv.slice(2));
