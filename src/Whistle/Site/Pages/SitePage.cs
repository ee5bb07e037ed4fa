using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Whistle.Data;

namespace Whistle.Site.Pages;

/// <summary>The base of every page: the visitor's language and the network's name.</summary>
public abstract class SitePage : PageModel
{
    public string Lang { get; private set; } = "en";
    public string NetworkName { get; private set; } = "Whistle";

    public string T(string key) => Ui.T(Lang, key);

    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        Lang = Ui.LanguageOf(HttpContext);
        var db = HttpContext.RequestServices.GetRequiredService<WhistleDb>();
        NetworkName = await db.Network.AsNoTracking().OrderBy(n => n.Id).Select(n => n.Name).FirstOrDefaultAsync() ?? "Whistle";
        await next();
    }
}
