// Errors of the dev PKI. The CLI maps `PKI_INVALID_INPUT` to exit code 2 (the operator typed
// something wrong) and the others to 1 (the operation could not be done).

export type PkiErrorCode = 'PKI_INVALID_INPUT' | 'PKI_FILE_EXISTS' | 'PKI_CA_MISSING';

export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export function isPkiError(err: unknown): err is PkiError {
  return err instanceof PkiError;
}
