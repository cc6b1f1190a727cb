// Running jobs with live progress, failed jobs with their error, and the audit trail.
import { useEffect } from 'react';
import { JOB_REFRESH_MS, jobPollDelay, progressLabel, progressPercent } from '../api/job-progress.ts';
import { useConsole } from '../app/context.ts';
import { useLoad } from '../app/hooks.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { EventsTable } from '../components/EventsTable.tsx';
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

const jobColumns: ReadonlyArray<Column<JobRow>> = [
  { key: 'cmd', label: 'Command', render: (job) => String(job.cmd ?? '').replace(/^.*\./, '') },
  { key: 'jobinstancetype', label: 'Resource', render: (job) => `${job.jobinstancetype ?? ''} ${job.jobinstanceid ?? ''}`.trim() || '—' },
  { key: 'created', label: 'Started' },
];

/** Jobs, one row each (named by job id), with the columns every job list shows and then `columns`. */
function JobsTable({ testId, rows, empty, columns }: { testId: string; rows: readonly JobRow[]; empty?: string; columns: ReadonlyArray<Column<JobRow>> }) {
  return <DataTable<JobRow> testId={testId} rows={rows} rowKey="jobid" rowName="jobid" empty={empty} columns={[...jobColumns, ...columns]} />;
}

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
      <JobsTable
        testId="running-jobs"
        rows={running}
        empty="No job is running."
        columns={[
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
      <JobsTable
        testId="failed-jobs"
        rows={failed}
        empty="No failed jobs."
        columns={[{ key: 'completed', label: 'Failed at' }, { key: 'error', label: 'Error', render: (job) => job.jobresult?.errortext ?? '—' }]}
      />
      <h2>Recent jobs</h2>
      <JobsTable
        testId="all-jobs"
        rows={all.slice(0, 50)}
        columns={[{ key: 'jobstatus', label: 'Status', render: (job) => <StateBadge state={JOB_STATUS[job.jobstatus] ?? job.jobstatus} /> }, { key: 'completed', label: 'Completed' }]}
      />
      <h2>Audit trail</h2>
      <EventsTable
        testId="events-table"
        rows={events.data?.items ?? []}
        who={[
          { key: 'account', label: 'Account' },
          { key: 'username', label: 'User' },
        ]}
      />
    </section>
  );
}
