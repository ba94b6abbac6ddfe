// A console page as a module: its id, its menu entry, its own strings in both languages, and a
// function that adds its routes. createConsole (../create-console.tsx) installs the shell once
// (host check, headers, language, login check, CSRF check) and then registers every page of
// ../pages.ts; the menu and the message catalogue are built from the same list.
import type { Hono } from 'hono';
import type { ConsoleAdmin } from '../../admin/index.ts';
import type { Logger } from '../../runtime/index.ts';
import type { ConsoleOptions } from '../types.ts';
import type { FlashStore } from './flash.ts';
import type { ConsoleContext, ConsoleEnv } from './guards.ts';
import type { Messages } from './i18n.ts';
import type { PageContext } from './layout.tsx';
import type { SessionStore } from './sessions.ts';

/** The hono app the pages add their routes to (paths include BASE). */
export type ConsoleRouter = Hono<ConsoleEnv>;

export type HtmlStatus = 200 | 400 | 401 | 403 | 404 | 429 | 500;

/** What every page's routes share: the peer's data, the shell's state and its ways of answering. */
export interface ConsolePageContext<K extends string> {
  /** The options createConsole was given, for a page's own settings (e.g. liveKeepAliveMs). */
  options: ConsoleOptions;
  store: ConsoleOptions['store'];
  txlog: ConsoleOptions['txlog'];
  admin: ConsoleAdmin;
  peerId: string;
  peerName: string;
  /** The console's logger (`component: 'console'`). */
  logger: Logger;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** Reads the admin token (it may change on disk). */
  adminToken: () => Promise<string>;
  sessions: SessionStore;
  flashes: FlashStore;
  /** The request's page context, with this page's messages. */
  page(c: ConsoleContext): PageContext<K>;
  /** `<!doctype html>` and the rendered view. */
  html(c: ConsoleContext, node: unknown, status?: HtmlStatus): Promise<Response>;
  /** The plain message page (errors, unknown things), with an optional way back. */
  message(c: ConsoleContext, status: HtmlStatus, content: { title: string; text: string; back?: string }): Promise<Response>;
  /** The answer to a form that failed the origin or CSRF check (403). */
  refuse(c: ConsoleContext): Promise<Response>;
  /** Runs `end` when the console closes (e.g. to end a stream); returns its unregistration. */
  onClose: (end: () => void) => () => void;
  /** True once the console is closing: start no new long-lived responses. */
  readonly closed: boolean;
}

export interface ConsolePage<K extends string = string> {
  /** The page's id; also its layout section, so its menu entry is marked current while it shows. */
  id: string;
  /** Its entry in the main menu (`label` is one of its message keys), sorted by `order`. */
  nav?: { path: string; label: NoInfer<K>; order: number };
  /** Its strings, Dutch and English (`defineMessages` checks both have every key). */
  messages: Messages<K>;
  /** Paths anyone may use without logging in (the login form); every other path needs an operator. */
  open?: readonly string[];
  /** Adds the page's routes. Called once per console; state kept here lives as long as the console. */
  routes(app: ConsoleRouter, ctx: ConsolePageContext<K>): void;
}

/** Types a page module: its message keys are inferred from `messages`. */
export function definePage<K extends string>(page: ConsolePage<K>): ConsolePage<K> {
  return page;
}
