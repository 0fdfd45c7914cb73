// Socket and TLS errors as one short line for the servers' logs: OpenSSL's messages carry a hex error queue, a
// source path and a newline, where `reason` already says what went wrong (e.g. "wrong version number").

export function connectionErrorText(err: Error): string {
  const reason = (err as { reason?: unknown }).reason;
  if (typeof reason === 'string' && reason) return `TLS ${reason}`;
  return err.message.split('\n')[0].trim();
}
