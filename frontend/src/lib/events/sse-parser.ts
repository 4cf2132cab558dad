//! A streaming parser for text/event-stream (WHATWG HTML §9.2), fed by fetch's body reader.
//! Handles LF, CR and CRLF line ends split across chunks, multi-line data, comments, `retry:`.

export interface SseMessage {
  /** The `id:` field of this message, if it had one (ephemeral events have none). */
  id: string | null;
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | null = null;
  private sawCr = false;
  /** Last `retry:` value in ms, if the server sent one. */
  retry: number | null = null;
  /** Bumped on every line (comments too): used as a liveness signal. */
  lastActivity = Date.now();

  constructor(private readonly onMessage: (msg: SseMessage) => void) {}

  push(chunk: string): void {
    let text = chunk;
    // A CR at the end of the previous chunk already ended a line; skip the LF of a CRLF pair.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = text.endsWith('\r');
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    this.lastActivity = Date.now();
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length > 0 || this.event) {
      this.onMessage({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
    }
    this.data = [];
    this.event = '';
    this.id = null;
  }
}
