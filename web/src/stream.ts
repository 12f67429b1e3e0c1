// /v1/stream: server-sent events. The page shows whether the relayer is reachable, follows
// it again when it comes back, and reloads its data then (events sent meanwhile are lost).

export type StreamEvent = { type: string; [key: string]: unknown };

export function follow(onEvent: (event: StreamEvent) => void, onState: (up: boolean) => void): void {
  const source = new EventSource("/v1/stream");
  source.onopen = () => onState(true);
  source.onerror = () => {
    onState(false);
    if (source.readyState === EventSource.CLOSED) {
      // a reply that is not an event stream ends EventSource's own retries
      setTimeout(() => follow(onEvent, onState), 2000);
    }
  };
  for (const type of ["order", "trade", "batch"]) {
    source.addEventListener(type, (message) => {
      onEvent(JSON.parse((message as MessageEvent<string>).data) as StreamEvent);
    });
  }
}
