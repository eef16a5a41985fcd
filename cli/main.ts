#!/usr/bin/env node
import { runCli } from './run-cli.js';

// Exit explicitly: idle Docker keep-alive sockets must not hold the process open.
// stdout/stderr are synchronous for files, pipes and terminals on Linux, so nothing is lost.
process.exit(await runCli(process.argv.slice(2), process.env));
