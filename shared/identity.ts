/**
 * A job's identity. BullMQ ids are unique per queue only, and only while the job exists, so a
 * job is (queue, jobId, incarnation). A room keeps the latest incarnation of each
 * (queue, jobId), under {@link jobKeyOf}.
 */
export interface JobIdentity {
  queue: string;
  jobId: string;
  incarnation: string;
}

/** The key of a job in a room's state and snapshot: `queue/jobId`. */
export const jobKeyOf = (job: { queue: string; jobId: string }): string => `${job.queue}/${job.jobId}`;

/** True when both describe the same incarnation of the same job. */
export const isSameJob = (a: JobIdentity, b: JobIdentity): boolean =>
  a.queue === b.queue && a.jobId === b.jobId && a.incarnation === b.incarnation;
