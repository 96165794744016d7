using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Switchboard.Features.Organizations;
using Switchboard.Features.Webhooks;

namespace Switchboard.Data.Configurations;

internal sealed class WebhookEndpointConfiguration(ProviderSql sql) : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> e)
    {
        e.ToTable("webhook_endpoints");
        e.TimestampsAndId(sql, updatedAt: true);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.Property(x => x.Url).HasMaxLength(2048);
        e.Property(x => x.Secret).HasMaxLength(200);
        e.Property(x => x.Events).DefaultSql(sql.EmptyTextArrayDefault);
        e.Property(x => x.IsActive).HasDefaultValue(true);
        e.Property(x => x.Description).HasMaxLength(500);
        e.HasIndex(x => x.OrganizationId);
    }
}

internal sealed class WebhookDeliveryConfiguration(ProviderSql sql) : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> e)
    {
        e.ToTable("webhook_deliveries", t => t.HasCheckConstraint("ck_webhook_deliveries_status", "status IN ('pending', 'succeeded', 'failed')"));
        e.TimestampsAndId(sql, updatedAt: false);
        e.HasOne<Organization>().WithMany().HasForeignKey(x => x.OrganizationId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
        e.Property(x => x.EventType).HasMaxLength(50);
        e.Property(x => x.Payload).Json(sql);
        e.Property(x => x.Status).HasMaxLength(20).HasDefaultValue(DeliveryStatus.Pending);
        e.Property(x => x.LastError).HasMaxLength(1000);
        // The worker's question: which pending deliveries are due?
        e.HasIndex(x => new { x.Status, x.NextAttemptAt });
        // The delivery log: an endpoint's deliveries, newest first.
        e.HasIndex(x => new { x.EndpointId, x.CreatedAt });
    }
}
