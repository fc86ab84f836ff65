import { z } from 'zod';

/** Every error code the API answers with, and its HTTP status: one table for the whole product. */
export const ERROR_STATUS = {
  malformed_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_query: 422,
  invalid_dataset: 422,
  dataset_required: 422,
  missing_parameter: 422,
  unexpected_parameter: 422,
  idempotency_key_reused: 422,
  invalid_callback_url: 422,
  rate_limited: 429,
  internal: 500,
  not_implemented: 501,
  service_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export const ZErrorEnvelope = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.string()),
  }),
});
export type TErrorEnvelope = z.infer<typeof ZErrorEnvelope>;
