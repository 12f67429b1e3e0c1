// A test EIP-1193 wallet injected into the page: every request goes to the Python test
// (window.__testWalletRpc), which forwards it to Anvil, whose dev accounts sign typed data
// and send transactions themselves. Announced through EIP-6963.
(() => {
  const listeners = {};
  const provider = {
    async request({ method, params }) {
      const reply = await window.__testWalletRpc(method, params ?? []);
      for (const [event, value] of reply.emit ?? []) {
        for (const listener of listeners[event] ?? []) listener(value);
      }
      if (reply.error) {
        const error = new Error(reply.error.message);
        error.code = reply.error.code;
        throw error;
      }
      return reply.result;
    },
    on(event, listener) {
      (listeners[event] ??= []).push(listener);
    },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
  };
  const info = {
    uuid: "6f1c7c4e-0b7e-4c1e-9a55-7a1d1c0c0b01",
    name: "Anvil test wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
    rdns: "org.crossbook.testwallet",
  };
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
