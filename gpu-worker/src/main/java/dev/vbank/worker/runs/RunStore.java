package dev.vbank.worker.runs;

import jakarta.enterprise.context.ApplicationScoped;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** {@code worker.job_runs}: which job attempts were started, by whom, and how they ended. */
@ApplicationScoped
public class RunStore {

    public enum Status { RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED }

    private final DataSource dataSource;

    public RunStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Claims (job, attempt, lease) for this worker; false when some worker already started it, i.e. the dispatch
     * record was delivered again (a rebalance or a crash before the offset commit).
     */
    public boolean claim(String jobId, int attempt, String leaseToken, String tenantId, String workerId)
            throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                insert into worker.job_runs (job_id, attempt, lease_token, tenant_id, worker_id)
                values (?, ?, ?, ?, ?) on conflict do nothing""")) {
            ps.setString(1, jobId);
            ps.setInt(2, attempt);
            ps.setString(3, leaseToken);
            ps.setString(4, tenantId);
            ps.setString(5, workerId);
            return ps.executeUpdate() == 1;
        }
    }

    public void progress(String jobId, int attempt, String leaseToken, long step, Long resumedFrom)
            throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                update worker.job_runs set step = ?, resumed_from = coalesce(?, resumed_from)
                where job_id = ? and attempt = ? and lease_token = ?""")) {
            ps.setLong(1, step);
            ps.setObject(2, resumedFrom);
            ps.setString(3, jobId);
            ps.setInt(4, attempt);
            ps.setString(5, leaseToken);
            ps.executeUpdate();
        }
    }

    public void finish(String jobId, int attempt, String leaseToken, Status status, long step, String adapterId,
                       String errorCode, String errorMessage) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("""
                update worker.job_runs set status = ?, step = ?, adapter_id = ?, error_code = ?, error_message = ?,
                    finished_at = now()
                where job_id = ? and attempt = ? and lease_token = ?""")) {
            ps.setString(1, status.name().toLowerCase());
            ps.setLong(2, step);
            ps.setString(3, adapterId);
            ps.setString(4, errorCode);
            ps.setString(5, errorMessage);
            ps.setString(6, jobId);
            ps.setInt(7, attempt);
            ps.setString(8, leaseToken);
            ps.executeUpdate();
        }
    }
}
