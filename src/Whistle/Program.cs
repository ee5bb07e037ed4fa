using Whistle.Alerts;
using Whistle.Cluster;
using Whistle.Content;
using Whistle.Data;
using Whistle.Delivery;
using Whistle.Delivery.Push;
using Whistle.Delivery.Sms;
using Whistle.Federation;
using Whistle.Geo;
using Whistle.Identity;
using Whistle.Incidents;
using Whistle.Inbound;
using Whistle.Places;
using Whistle.Network;
using Whistle.Platform;
using Whistle.Privacy;
using Whistle.Registry;
using Whistle.Reports;
using Whistle.Site;
using Whistle.Submissions;
using Whistle.Subscriptions;
using Whistle.Verification;

// Before anything is built: --help and mistakes touch neither the data dir nor a port.
switch (Cli.Check(args))
{
    case (true, _):
        Console.Write(Cli.Help);
        return 0;
    case (_, { } mistake):
        Console.Error.WriteLine(mistake);
        return 2;
}
var (webArgs, demo) = Cli.Split(args);
var builder = WebApplication.CreateBuilder(webArgs);
if (demo) builder.Configuration["Whistle:DataDir"] ??= "data-demo";
builder.AddPlatform();
builder.AddData();
builder.AddCluster();
builder.AddLiveBus();
builder.AddTelemetry();
builder.AddStaffIdentity();
builder.AddLiveConnections();
builder.AddVerification();
builder.AddIntake();
builder.AddAlerts();
builder.AddDelivery();
builder.AddHousekeeping();
builder.AddIncidents();
builder.AddUploads();
builder.AddCustodyPins();
builder.AddFederation();
builder.AddSite();

var app = builder.Build();
try
{
    if (Cli.IsCommand(webArgs)) return await Cli.RunAsync(app, webArgs);
    // Files others can read refuse the start; the key ring is opened now (a passphrase typed now), not at the first request.
    KeyRingSetup.CheckAtStartup(app);
}
catch (StartupRefusal refusal)
{
    Console.Error.WriteLine("Whistle will not start: " + refusal.Message);
    return 3;
}
PublicUrl.RequireAtStartup(app, demo || app.Configuration.GetValue<bool>("Whistle:Demo"));
try
{
    // A database a newer Whistle migrated refuses the start (decision 0048).
    await app.InitializeAsync(demo || app.Configuration.GetValue<bool>("Whistle:Demo"),
        app.Configuration.GetValue("Whistle:DemoSubscribers", 3000));
}
catch (StartupRefusal refusal)
{
    Console.Error.WriteLine("Whistle will not start: " + refusal.Message);
    return 3;
}

app.UseSecurityHeaders();
app.MapTelemetry(); // before the login middleware: the metrics port answers without one
app.UseNoStoreBehindLogin();
app.UseSiteAssets();
app.UsePlatform();
var api = app.MapGroup("/api/v1");
api.MapAuth();
api.MapUsers();
api.MapReports();
api.MapSurges();
api.MapReporters();
api.MapSightings();
api.MapRoster();
api.MapAlerts();
api.MapAlertsStream();
api.MapSubscriptions();
api.MapZones();
api.MapZoneImport();
api.MapTemplates();
api.MapPush();
api.MapPages();
api.MapRegistry();
api.MapIncidents();
api.MapRetention();
api.MapKeys();
api.MapFederation();
api.MapEvidence();
api.MapSubmissions();
api.MapUploads();
api.MapSubmissionReview();
api.MapPlaces();
api.MapSetup();

app.MapCap();
app.MapCustodyKey();
app.MapTwilioHooks();
app.MapSmsInbound();
app.MapAlertsHub();
app.MapSightingsHub();
app.MapRegistryCharts();
app.MapSite();

await app.RunAsync();
return 0;

public partial class Program;
