// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createJobcastClient } from '../../client/index.js';

describe('React bindings on a server', () => {
  it('import without a window and render the idle server snapshot, panel included', async () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    // Imported here, after the checks above: module evaluation itself must not reach for the DOM.
    const { JobcastDebugPanel, JobcastProvider, useConnection, useEventLog, useJobStatus, useRoom } = await import('../../client/react/index.js');
    const client = createJobcastClient({ url: 'http://127.0.0.1:9', autoConnect: false });
    function Page() {
      const connection = useConnection();
      const room = useRoom('document:1');
      const { status } = useJobStatus('document:1', 'j1');
      const log = useEventLog({ room: 'document:1' });
      return <p>{`${connection.state}|${room.state}|${room.seq}|${status?.state ?? 'none'}|${log.length}`}</p>;
    }
    const html = renderToString(
      <JobcastProvider client={client}>
        <Page />
        <JobcastDebugPanel enabled initialOpen />
      </JobcastProvider>,
    );
    expect(html).toContain('<p>idle|pending|0|none|0</p>');
    expect(html).toContain('aria-label="jobcast debug panel"');
    // Rendering subscribed nothing: no room is held after a server render.
    expect(client.inspect().rooms).toEqual([]);
    client.close();
  });

  it('render no panel in production unless enabled', async () => {
    const { JobcastDebugPanel, JobcastProvider } = await import('../../client/react/index.js');
    const client = createJobcastClient({ url: 'http://127.0.0.1:9', autoConnect: false });
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(renderToString(<JobcastProvider client={client}><JobcastDebugPanel initialOpen /></JobcastProvider>)).toBe('');
      expect(renderToString(<JobcastProvider client={client}><JobcastDebugPanel enabled initialOpen /></JobcastProvider>)).toContain('jobcast debug panel');
    } finally {
      process.env.NODE_ENV = previous;
      client.close();
    }
  });
});
