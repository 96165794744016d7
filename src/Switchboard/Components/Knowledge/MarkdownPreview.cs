using Markdig;
using Microsoft.AspNetCore.Components;

namespace Switchboard.Components.Knowledge;

/// <summary>Markdown to HTML for the article editor's preview. Raw HTML in an article is shown as text, never run.</summary>
public static class MarkdownPreview
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    public static MarkupString Render(string? markdown) => new(Markdown.ToHtml(markdown ?? "", Pipeline));
}
