import { createJobcastClient, type JobcastClient, type SubscriptionHandle } from '../../client/index.js';
import type { JobStatus } from '../../shared/index.js';

interface DemoDocument {
  owner: string;
  title: string;
  text: string;
}

const userSelect = document.querySelector<HTMLSelectElement>('#user')!;
const connectionLabel = document.querySelector<HTMLSpanElement>('#connection')!;
const container = document.querySelector<HTMLDivElement>('#documents')!;
let client: JobcastClient | undefined;
let handles: SubscriptionHandle[] = [];

function describe(status: JobStatus | undefined): string {
  if (!status) return 'No summary yet.';
  const step = status.step ? ` — step "${status.step.name}"` : '';
  switch (status.state) {
    case 'completed':
      return `Done: ${String(status.data?.summary ?? '')}`;
    case 'failed':
      return `Failed: ${status.failure?.message ?? 'unknown error'}`;
    case 'delayed':
      return status.willRetry ? `Retrying at ${new Date(status.nextAttemptAt ?? 0).toLocaleTimeString()} (attempt ${status.attempt + 1} of ${status.maxAttempts})` : 'Scheduled';
    case 'active':
      return `Processing…${step}`;
    default:
      return status.state;
  }
}

async function render() {
  handles.forEach((handle) => handle.unsubscribe());
  client?.close();
  const user = userSelect.value;
  client = createJobcastClient({ url: location.origin, path: '/socket.io', getToken: () => user });
  client.connection.subscribe(() => (connectionLabel.textContent = client!.connection.getSnapshot().state));
  const documents = (await (await fetch('/api/documents')).json()) as Record<string, DemoDocument>;
  container.replaceChildren();
  handles = Object.entries(documents).map(([id, doc]) => {
    const card = document.createElement('div');
    card.className = 'doc';
    card.innerHTML = `<h2></h2><p class="text"></p><button>Summarize</button><progress max="100" value="0"></progress><p class="status"></p>`;
    card.querySelector('h2')!.textContent = `${doc.title} (owner: ${doc.owner})`;
    card.querySelector('.text')!.textContent = doc.text;
    container.append(card);
    const handle = client!.subscribe(`document:${id}`);
    let latestJob: string | undefined;
    const update = () => {
      const snapshot = handle.getSnapshot();
      const statusLine = card.querySelector<HTMLParagraphElement>('.status')!;
      if (snapshot.state === 'rejected') {
        statusLine.className = 'status error';
        statusLine.textContent = `You cannot follow this document (${snapshot.error?.code}: ${snapshot.error?.message})`;
        return;
      }
      const jobs = Object.values(snapshot.jobs).sort((a, b) => (a.enqueuedAt ?? 0) - (b.enqueuedAt ?? 0));
      const status = (latestJob && snapshot.jobs[latestJob]) || jobs.at(-1);
      const progress = status?.progress;
      const percent = typeof progress === 'number' ? progress : Number((progress as { percent?: number } | undefined)?.percent ?? 0);
      card.querySelector('progress')!.value = status?.state === 'completed' ? 100 : percent;
      statusLine.className = 'status';
      statusLine.textContent = describe(status);
    };
    handle.subscribe(update);
    update();
    card.querySelector('button')!.addEventListener('click', async () => {
      const response = await fetch(`/api/documents/${id}/summarize`, { method: 'POST', headers: { authorization: `Bearer ${user}` } });
      const body = (await response.json()) as { jobId?: string; error?: string };
      if (body.jobId) latestJob = body.jobId;
      else card.querySelector('.status')!.textContent = body.error ?? 'could not start';
    });
    return handle;
  });
}

userSelect.addEventListener('change', () => void render());
void render();
