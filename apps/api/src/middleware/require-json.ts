import type { RequestHandler } from 'express';
import { AppError } from '../app-error';

/**
 * A body on a JSON route must say it is JSON: anything else is 415, not a confusing
 * 400. (`req.is` is null when there is no body at all; the route's schema judges that.)
 */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is('application/json') === false) {
    next(new AppError('unsupported_media_type', 'Send the request body as application/json.'));
    return;
  }
  next();
};
