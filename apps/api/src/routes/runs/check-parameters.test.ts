import { AppError } from '../../app-error';
import { checkParameters } from './check-parameters';

describe('checkParameters', () => {
  it('accepts exactly the declared parameters', () => {
    expect(() => checkParameters(['month', 'region'], { month: '2024-05', region: null })).not.toThrow();
    expect(() => checkParameters([], {})).not.toThrow();
  });

  it('names every missing parameter', () => {
    try {
      checkParameters(['month', 'region'], {});
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('missing_parameter');
      expect((error as AppError).status).toBe(422);
      expect((error as AppError).details).toEqual(['parameters.month', 'parameters.region']);
    }
  });

  it('refuses a parameter the query does not use, and does not read inherited keys', () => {
    expect(() => checkParameters(['month'], { month: 'x', extra: 1 })).toThrow(
      /does not use \$extra; it accepts \$month/,
    );
    expect(() => checkParameters(['toString'], {})).toThrow(/needs \$toString/);
  });
});
