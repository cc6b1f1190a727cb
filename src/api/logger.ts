// The API's JSON logger: pino with every credential-bearing path redacted. Request lines carry the command
// and outcome only, never the parameters (they hold passwords, keys and external details).
import { pino, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'password',
  '*.password',
  'secretkey',
  '*.secretkey',
  'apikey',
  '*.apikey',
  'apiKey',
  '*.apiKey',
  'signature',
  '*.signature',
  'sessionkey',
  '*.sessionkey',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const settings = { level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
