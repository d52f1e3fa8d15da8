/**
 * The demo app's own HTTP API: sign in as a demo user (a jobcast token), documents, the
 * "Summarize" action, and the controls that cause each failure mode on purpose.
 */
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { TokenClaims, TokenIssuer } from '../server/index.js';
import type { TypedEnqueuer } from '../server/worker/index.js';
import { FaultModeSchema, STEPS, SUMMARY_JOB_OPTIONS, isDemoUser, type jobs } from './config.js';
import type { WorkerCommand, WorkersState } from './ipc.js';
import type { DemoStore } from './store.js';

export interface ApiDeps {
  store: DemoStore;
  tokens: TokenIssuer;
  enqueuer: TypedEnqueuer<typeof jobs>;
  queue: string;
  workers: (command: WorkerCommand) => Promise<WorkersState>;
}

const SessionBody = z.object({ user: z.string() });
const DocumentBody = z.object({
  title: z.string().trim().min(1, 'give it a title').max(100),
  text: z.string().trim().min(40, 'the text needs at least 40 characters').max(20_000, 'the text is too long (20,000 characters at most)'),
});
const FaultBody = z.object({ step: z.enum(STEPS), mode: FaultModeSchema });
const StartBody = z.object({ version: z.enum(['current', 'old']) });

/** Sends `{ error: { code, message } }`, the same shape jobcast's own routes use. */
const fail = (response: Response, status: number, code: string, message: string) => void response.status(status).json({ error: { code, message } });

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Wraps a handler: its HttpErrors and zod errors become JSON answers, anything else a 500. */
const route =
  (handler: (request: Request, response: Response) => Promise<unknown>) =>
  async (request: Request, response: Response): Promise<void> => {
    try {
      await handler(request, response);
    } catch (error) {
      if (error instanceof HttpError) return fail(response, error.status, error.code, error.message);
      if (error instanceof z.ZodError) return fail(response, 400, 'BAD_REQUEST', error.issues.map((issue) => issue.message).join('; '));
      console.error('demo API error:', error);
      fail(response, 500, 'INTERNAL', 'Something went wrong on the server.');
    }
  };

export function createApiRouter(deps: ApiDeps): Router {
  const { store, tokens } = deps;
  const router = Router();
  router.use(express.json({ limit: '64kb' }));

  /** The signed-in user: the `sub` of a valid jobcast token in `Authorization: Bearer …`. */
  const userOf = (request: Request): string => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    let claims: TokenClaims;
    try {
      claims = tokens.verify(token ?? '');
    } catch {
      throw new HttpError(401, 'UNAUTHENTICATED', 'Sign in first (POST /api/session).');
    }
    return claims.sub;
  };
  const ownDocument = async (request: Request) => {
    const user = userOf(request);
    const document = await store.getDocument(String(request.params.id));
    if (!document) throw new HttpError(404, 'NOT_FOUND', 'There is no such document.');
    if (document.owner !== user) throw new HttpError(403, 'FORBIDDEN', `This document belongs to ${document.owner}.`);
    return document;
  };

  // A demo sign-in: any demo user, no password. The token opens every document room; the
  // room rule then checks ownership, so bob's subscribe to alice's document is FORBIDDEN.
  router.post('/session', route(async (request, response) => {
    const { user } = SessionBody.parse(request.body);
    if (!isDemoUser(user)) throw new HttpError(400, 'BAD_REQUEST', 'The demo users are alice and bob.');
    const token = tokens.issue({ sub: user, rooms: ['document:*'], debug: true });
    response.json({ user, token, expiresAt: tokens.verify(token).exp * 1_000 });
  }));

  router.get('/documents', route(async (request, response) => {
    userOf(request);
    const documents = await store.listDocuments();
    response.json(documents.map(({ id, title, owner }) => ({ id, title, owner })));
  }));

  router.post('/documents', route(async (request, response) => {
    const user = userOf(request);
    const { title, text } = DocumentBody.parse(request.body);
    response.status(201).json(await store.addDocument(user, title, text));
  }));

  router.get('/documents/:id', route(async (request, response) => {
    const document = await ownDocument(request);
    response.json({ ...document, summary: (await store.getSummary(document.text)) ?? null });
  }));

  router.post('/documents/:id/summarize', route(async (request, response) => {
    const document = await ownDocument(request);
    const job = await deps.enqueuer.enqueue(deps.queue, 'summarize', { documentId: document.id }, {
      rooms: [`document:${document.id}`],
      ...SUMMARY_JOB_OPTIONS,
      // A second click while a summary of this document runs joins that job instead of starting another.
      deduplication: { id: `summarize:${document.id}` },
    });
    response.status(202).json(job);
  }));

  router.delete('/summaries', route(async (request, response) => {
    userOf(request);
    response.json({ dropped: await store.clearSummaries() });
  }));

  router.get('/faults', route(async (request, response) => {
    userOf(request);
    response.json(await store.getFaults());
  }));

  router.put('/faults', route(async (request, response) => {
    userOf(request);
    const { step, mode } = FaultBody.parse(request.body);
    await store.setFault(step, mode);
    response.json(await store.getFaults());
  }));

  router.get('/workers', route(async (request, response) => {
    userOf(request);
    response.json(await deps.workers({ op: 'list' }));
  }));

  router.post('/workers/stop', route(async (request, response) => {
    userOf(request);
    response.json(await deps.workers({ op: 'stop' }));
  }));

  router.post('/workers/start', route(async (request, response) => {
    userOf(request);
    const { version } = StartBody.parse(request.body);
    response.json(await deps.workers({ op: 'start', version }));
  }));

  router.use((_request: Request, response: Response) => fail(response, 404, 'NOT_FOUND', 'No such API route.'));
  return router;
}
