import {
  allowOnly,
  idArgument,
  parameters,
  parameterValue,
  parseCommandLine,
  positiveInteger,
  UsageError,
} from './cli-args';

describe('parameterValue', () => {
  it('sends JSON scalars and arrays as such, anything else as text', () => {
    expect(parameterValue('2024-05')).toBe('2024-05');
    expect(parameterValue('250')).toBe(250);
    expect(parameterValue('-1.5e3')).toBe(-1500);
    expect(parameterValue('true')).toBe(true);
    expect(parameterValue('null')).toBeNull();
    expect(parameterValue('[1,"a"]')).toEqual([1, 'a']);
    expect(parameterValue('"01234"')).toBe('01234');
    expect(parameterValue('01234')).toBe('01234');
    expect(parameterValue('[oops')).toBe('[oops');
    expect(parameterValue('North')).toBe('North');
    expect(parameterValue('')).toBe('');
  });
});

describe('parseCommandLine', () => {
  it('reads commands, repeated params and options anywhere', () => {
    const args = parseCommandLine([
      'run',
      'qry_a',
      '--param',
      'month=2024-05',
      '--json',
      '--param=n=3',
      '-q',
    ]);
    expect(args.positionals).toEqual(['run', 'qry_a']);
    expect(parameters(args)).toEqual({ month: '2024-05', n: 3 });
    expect(args.values.json).toBe(true);
    expect(args.values.quiet).toBe(true);
  });

  it('turns unknown options and bad values into usage errors', () => {
    expect(() => parseCommandLine(['run', '--bogus'])).toThrow(UsageError);
    expect(() => parameters(parseCommandLine(['run', '--param', 'month']))).toThrow(/name=value/);
    expect(() => positiveInteger(parseCommandLine(['jobs', 'list', '--limit', '0']), 'limit')).toThrow(
      /positive whole number/,
    );
    expect(positiveInteger(parseCommandLine(['jobs', 'list', '--limit', '20']), 'limit')).toBe(20);
  });

  it('refuses options another command takes', () => {
    const args = parseCommandLine(['datasets', 'list', '--sql', 'SELECT 1', '--url', 'http://x']);
    expect(() => allowOnly(args, 'datasets list', ['limit'])).toThrow('"datasets list" does not take --sql.');
    expect(() =>
      allowOnly(parseCommandLine(['datasets', 'list', '--url', 'u']), 'datasets list', []),
    ).not.toThrow();
  });

  it('checks ids by their prefix', () => {
    expect(idArgument(parseCommandLine(['jobs', 'get', 'job_x']), 2, 'job', 'jobs get')).toBe('job_x');
    expect(() => idArgument(parseCommandLine(['jobs', 'get']), 2, 'job', 'jobs get')).toThrow(/needs an id/);
    expect(() => idArgument(parseCommandLine(['jobs', 'get', 'qry_x']), 2, 'job', 'jobs get')).toThrow(
      /takes a job_… id/,
    );
    expect(() =>
      idArgument(parseCommandLine(['jobs', 'get', 'job_x', 'job_y']), 2, 'job', 'jobs get'),
    ).toThrow(/one id/);
  });
});
