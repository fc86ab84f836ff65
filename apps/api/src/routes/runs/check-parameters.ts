import type { TParameterValue } from '@repo/contracts';
import { AppError } from '../../app-error';

/** A run must give exactly the parameters its query declares: none missing, none extra. */
export function checkParameters(declared: string[], given: Record<string, TParameterValue>): void {
  const missing = declared.filter((name) => !Object.hasOwn(given, name));
  if (missing.length > 0) {
    throw new AppError(
      'missing_parameter',
      `The query needs ${missing.map((n) => `$${n}`).join(', ')}: add ${missing.length === 1 ? 'it' : 'them'} to "parameters".`,
      missing.map((n) => `parameters.${n}`),
    );
  }
  const unexpected = Object.keys(given).filter((name) => !declared.includes(name));
  if (unexpected.length > 0) {
    const accepted = declared.length > 0 ? declared.map((n) => `$${n}`).join(', ') : 'no parameters';
    throw new AppError(
      'unexpected_parameter',
      `The query does not use ${unexpected.map((n) => `$${n}`).join(', ')}; it accepts ${accepted}.`,
      unexpected.map((n) => `parameters.${n}`),
    );
  }
}
