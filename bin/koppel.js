#!/usr/bin/env node
// The `koppel` command. TypeScript sources run through tsx's loader, so there is no build step
// between a clone and a working command.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
