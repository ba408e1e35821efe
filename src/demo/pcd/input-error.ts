/**
 * Bad input to the converter (a malformed file, an unknown field, a resolution of 0): its
 * message is the whole story — which file or option, and what is wrong — so it prints without
 * a stack trace when the task fails.
 */
export class PcdInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PcdInputError';
    this.stack = message;
  }
}
