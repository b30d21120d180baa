/** `--queue redis://HOST:PORT`, checked before anything connects. */
import { UserError } from "../../util/user-error.ts";

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  /** HOST:PORT, for messages. */
  readonly text: string;
}

export function parseQueueUrl(s: string): RedisAddress {
  const bad = () => new UserError(`bad --queue '${s}': expected redis://HOST:PORT`);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad();
  }
  const plain =
    u.username === "" &&
    u.password === "" &&
    u.search === "" &&
    u.hash === "" &&
    (u.pathname === "" || u.pathname === "/");
  if (u.protocol !== "redis:" || u.hostname === "" || !/^\d+$/.test(u.port) || !plain) throw bad();
  const port = Number(u.port);
  if (port < 1 || port > 65535) throw bad();
  // An IPv6 host is written in brackets; the socket wants it without.
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port, text: `${u.hostname}:${port}` };
}
