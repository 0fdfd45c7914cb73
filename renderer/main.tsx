import { createRoot } from 'react-dom/client';
import { connectApi } from './api/connect.ts';
import { App } from './components/App.tsx';
import { ConsolesContext, StoreContext } from './components/context.ts';
import { createConsoleBackends } from './consoles/registry.ts';
import { bootstrap, createAppStore, subscribeEvents } from './store/index.ts';

let store: ReturnType<typeof createAppStore> | undefined;
const api = connectApi((reason) => store?.getState().setFatal(`Lost the connection to the app: ${reason}`));
store = createAppStore(api);
subscribeEvents(store);
const backends = createConsoleBackends();
// Start the RDP worker and its module's download and compilation now, beside the first render and the first API
// calls (they take the page's main thread; the worker takes none of it), so the first click does not wait for them.
// A failure here is not lost: the first connect loads the module again and shows the same error in its tab.
void backends.rdp.warmUp?.().catch(() => undefined);

createRoot(document.getElementById('root')!).render(
  <StoreContext.Provider value={store}>
    <ConsolesContext.Provider value={backends}>
      <App />
    </ConsolesContext.Provider>
  </StoreContext.Provider>,
);
void bootstrap(store);
