// Error classes that steer what the transport does with a failed record.

/**
 * The record can never be processed as it is (bad content, failed validation): it goes straight to
 * the dead-letter topic, without retries.
 */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** The record bytes or headers do not match the topic's schema. */
export class DecodeError extends NonRetriableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/** Raised inside the consumer when a drain interrupts retries: the record stays uncommitted. */
export class DrainInterruptedError extends Error {
  constructor() {
    super('drain interrupted retries; the record will be redelivered');
    this.name = 'DrainInterruptedError';
  }
}
