using Switchboard.Features.Knowledge.Import;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Switchboard.Tests.Import;

/// <summary>The committed fixture files, and real PDFs written with PdfPig's builder.</summary>
public static class ImportFiles
{
    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Import", "Fixtures");

    public static string Path_(string name) => Path.Combine(Fixtures, name);

    public static ImportFile Fixture(string name) => new(name, File.ReadAllBytes(Path.Combine(Fixtures, name)));

    /// <summary>A real PDF: each page's lines in Helvetica, with the Title metadata when one is given.</summary>
    public static byte[] Pdf(string? title, params string[][] pages)
    {
        using var builder = new PdfDocumentBuilder();
        if (title is not null) builder.DocumentInformation.Title = title;
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var lines in pages)
        {
            var page = builder.AddPage(PageSize.A4);
            var y = 780.0;
            foreach (var line in lines)
            {
                page.AddText(line, 12, new PdfPoint(50, y), font);
                y -= 18;
            }
        }
        return builder.Build();
    }

    public static byte[] ReturnsPdf() => Pdf("Warranty and repairs",
        ["Warranty and repairs", "Every device has a two year warranty from the date of delivery."],
        ["Repairs take about ten working days.", "We pay the shipping both ways."]);
}
