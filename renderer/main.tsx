import { createRoot } from 'react-dom/client';
import { connectApi } from './api/connect.ts';
import { App } from './components/App.tsx';
import { EngineContext, StoreContext } from './components/context.ts';
import { createDisplayEngine } from './display/create-display-engine.ts';
import { bootstrap, createAppStore, subscribeEvents } from './store/index.ts';

let store: ReturnType<typeof createAppStore> | undefined;
const api = connectApi((reason) => store?.getState().setFatal(`Lost the connection to the app: ${reason}`));
store = createAppStore(api);
subscribeEvents(store);
const engine = createDisplayEngine();

createRoot(document.getElementById('root')!).render(
  <StoreContext.Provider value={store}>
    <EngineContext.Provider value={engine}>
      <App />
    </EngineContext.Provider>
  </StoreContext.Provider>,
);
void bootstrap(store);
// Load the RDP module once the window shows, so the first click does not pay for it. A failure here is not lost: the
// first connect loads the module again and shows the same error in its tab.
setTimeout(() => void engine.warmUp?.().catch(() => undefined), 0);
