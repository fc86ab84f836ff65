import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError, loadConfig } from './load-config';
import { type LogDestination, logDestination, prettyLogs } from './log-format';

type PinoPretty = (options: Record<string, unknown>) => LogDestination;

/** The real pino-pretty, writing where the test can read rather than to stdout. */
function capturedPretty(): { load: () => PinoPretty; text: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const real = require('pino-pretty') as PinoPretty;
  return {
    load: () => (options) => real({ ...options, destination: sink, colorize: false }),
    text: () => text,
  };
}

describe('LOG_FORMAT', () => {
  it('is auto unless set, and one of auto, json, pretty', () => {
    expect(loadConfig({}).LOG_FORMAT).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(
      new ConfigError('Invalid configuration: LOG_FORMAT: expected one of auto, json, pretty, got "yaml"'),
    );
  });

  it.each([
    ['auto', true, true],
    ['auto', false, false],
    ['auto', undefined, false],
    ['json', true, false],
    ['pretty', false, true],
  ] as const)('%s with stdout.isTTY %s: pretty is %s', (format, isTTY, pretty) => {
    expect(prettyLogs(format, { isTTY })).toBe(pretty);
    expect(logDestination(format, { isTTY }, capturedPretty().load) !== undefined).toBe(pretty);
  });

  it('writes readable lines on a terminal: local time, level, the process, the message, then the fields', () => {
    const captured = capturedPretty();
    const logger = pino(
      { level: 'info', base: { app: 'worker', pid: 1234 } },
      logDestination('auto', { isTTY: true }, captured.load),
    );
    logger.info({ concurrency: 2 }, 'worker ready');
    logger.warn('Redis appendonly is no');
    const lines = captured.text().split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[worker\] worker ready$/);
    expect(lines[1]).toBe('    concurrency: 2');
    expect(lines[2]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: \[worker\] Redis appendonly is no$/);
    // Neither the pid nor the epoch time is in the way.
    expect(captured.text()).not.toMatch(/1234|"time"|\d{13}/);
  });

  it('falls back to JSON when pino-pretty is not installed, saying so only when it was asked for', () => {
    const missing = () => {
      throw new Error("Cannot find module 'pino-pretty'");
    };
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(logDestination('auto', { isTTY: true }, missing)).toBeUndefined();
      expect(stderr).not.toHaveBeenCalled();
      expect(logDestination('pretty', { isTTY: false }, missing)).toBeUndefined();
      expect(stderr).toHaveBeenCalledWith('LOG_FORMAT=pretty: pino-pretty is not installed; logging JSON\n');
    } finally {
      stderr.mockRestore();
    }
  });
});
