// Configuration problems are collected, never thrown one by one: an operator fixes a file in one go.

/** One problem in the configuration. */
export interface ConfigIssue {
  /** Dotted path of the offending key, e.g. `manager.listen.port` or `inway.services[0].name`; `''` for the whole file. */
  path: string;
  /** What is wrong, and where the value came from when it was not the file (e.g. `(from KOPPEL_MANAGER_LISTEN_PORT)`). */
  message: string;
}

/** Thrown by the loader with every problem found; `message` lists them one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], source?: string) {
    const head = `invalid configuration${source === undefined ? '' : ` in ${source}`} (${issues.length} problem${issues.length === 1 ? '' : 's'})`;
    super([head, ...issues.map(formatIssue)].join('\n  '));
    this.issues = issues;
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}

/** `manager.listen.port: must be a whole number` — the form the CLI prints. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}
