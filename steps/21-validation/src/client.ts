// The client's side of the rich error model: the field violations of a
// google.rpc.BadRequest in an INVALID_ARGUMENT's trailers, decoded.
import { detailOf } from '@course/18-rate-limiting';
import { BAD_REQUEST_TYPE, type FieldViolation } from './validation.js';

/** The violations a refused call's BadRequest lists; [] when it carries none. */
export function fieldViolations(error: unknown): FieldViolation[] {
  const detail = detailOf<{ fieldViolations: FieldViolation[] }>(error as { metadata?: never }, BAD_REQUEST_TYPE);
  return (detail?.fieldViolations ?? []).map(({ field, description, reason }) => ({ field, description, reason }));
}
