// The few members of Express's request/response the controller uses (no @types/express in the project).
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HttpReq extends IncomingMessage {
  path: string;
  query: Record<string, string | string[] | undefined>;
}

export interface HttpRes extends ServerResponse {
  headersSent: boolean;
  status(code: number): HttpRes;
  json(body: unknown): HttpRes;
}
