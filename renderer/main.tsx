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

createRoot(document.getElementById('root')!).render(
  <StoreContext.Provider value={store}>
    <ConsolesContext.Provider value={backends}>
      <App />
    </ConsolesContext.Provider>
  </StoreContext.Provider>,
);
void bootstrap(store);
// Load the RDP module once the window shows, so the first click does not pay for it. A failure here is not lost: the
// first connect loads the module again and shows the same error in its tab.
setTimeout(() => void backends.rdp.warmUp?.().catch(() => undefined), 0);
