// Running jobs with live progress, failed jobs with their error, and the audit trail.
import { useEffect } from 'react';
import { JOB_REFRESH_MS, jobPollDelay, progressLabel, progressPercent } from '../api/job-progress.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { DataTable } from '../components/DataTable.tsx';
import { StateBadge } from '../components/Modal.tsx';

const JOB_STATUS = ['Pending', 'Succeeded', 'Failed', 'Cancelled'] as const;

interface JobRow extends Record<string, unknown> {
  jobid: string;
  cmd?: string;
  jobstatus: number;
  jobprocstatus?: number;
  jobprocstep?: string;
  jobresult?: { errortext?: string };
  jobinstancetype?: string;
  jobinstanceid?: string;
  created?: string;
  completed?: string;
}

const jobColumns = [
  { key: 'cmd', label: 'Command', render: (job: JobRow) => String(job.cmd ?? '').replace(/^.*\./, '') },
  { key: 'jobinstancetype', label: 'Resource', render: (job: JobRow) => `${job.jobinstancetype ?? ''} ${job.jobinstanceid ?? ''}`.trim() || '—' },
  { key: 'created', label: 'Started' },
];

export function JobsPage() {
  const { session, can } = useConsole();
  // Polls only while a job is pending; with nothing running the list stays as it is until asked again.
  const jobs = useLoad(() => session.list<JobRow>('listAsyncJobs', 'asyncjobs', { listall: true, page: 1, pagesize: 200 }), [session], (page) => jobPollDelay(page.items, JOB_REFRESH_MS));
  const reloadJobs = jobs.reload;
  useEffect(() => {
    // Coming back to the tab (after starting a job elsewhere) shows what started meanwhile.
    const refresh = () => {
      if (document.visibilityState === 'visible') void reloadJobs();
    };
    document.addEventListener('visibilitychange', refresh);
    return () => document.removeEventListener('visibilitychange', refresh);
  }, [reloadJobs]);
  const events = useLoad(() => (can('listEvents') ? session.list('listEvents', 'event', { listall: true, page: 1, pagesize: 100 }) : Promise.resolve({ items: [], count: 0 })), [session], JOB_REFRESH_MS * 2);
  const all = jobs.data?.items ?? [];
  const running = all.filter((job) => job.jobstatus === 0);
  const failed = all.filter((job) => job.jobstatus === 2);
  return (
    <section data-page="jobs">
      <header className="page-header">
        <h1>Jobs &amp; events</h1>
        <button type="button" onClick={() => void Promise.all([jobs.reload(), events.reload()])} data-testid="refresh-jobs">
          Refresh
        </button>
      </header>
      {jobs.error && <p className="form-error">{jobs.error}</p>}
      <h2>Running jobs</h2>
      <DataTable<JobRow>
        testId="running-jobs"
        rows={running}
        rowKey="jobid"
        rowName="jobid"
        empty="No job is running."
        columns={[
          ...jobColumns,
          {
            key: 'jobprocstatus',
            label: 'Progress',
            render: (job) => (
              <span className="job-progress">
                <progress max={100} value={progressPercent(job)} aria-label={`Progress of ${job.cmd ?? 'the job'}`} />
                <span data-testid="job-step">{progressLabel(job)}</span>
              </span>
            ),
          },
        ]}
      />
      <h2>Failed jobs</h2>
      <DataTable<JobRow>
        testId="failed-jobs"
        rows={failed}
        rowKey="jobid"
        rowName="jobid"
        empty="No failed jobs."
        columns={[...jobColumns, { key: 'completed', label: 'Failed at' }, { key: 'error', label: 'Error', render: (job) => job.jobresult?.errortext ?? '—' }]}
      />
      <h2>Recent jobs</h2>
      <DataTable<JobRow>
        testId="all-jobs"
        rows={all.slice(0, 50)}
        rowKey="jobid"
        rowName="jobid"
        columns={[...jobColumns, { key: 'jobstatus', label: 'Status', render: (job) => <StateBadge state={JOB_STATUS[job.jobstatus] ?? job.jobstatus} /> }, { key: 'completed', label: 'Completed' }]}
      />
      <h2>Audit trail</h2>
      <DataTable
        testId="events-table"
        rows={events.data?.items ?? []}
        rowName="type"
        columns={[
          { key: 'created', label: 'When' },
          { key: 'type', label: 'Event' },
          { key: 'state', label: 'State' },
          { key: 'level', label: 'Level' },
          { key: 'account', label: 'Account' },
          { key: 'username', label: 'User' },
          { key: 'description', label: 'Description' },
        ]}
      />
    </section>
  );
}
