from django import template

register = template.Library()


@register.simple_tag
def winning_projects_with_campaigns(process):
    """The process's winning projects, each with its campaign (or None), in
    one query, for the "crowdfunding the winners" section of process pages."""
    result = getattr(process, "result", None)
    winners = set(result.winners or []) if result else set()
    if not winners:
        return []
    projects = process.projects.filter(code__in=winners).select_related("campaign")
    return [(project, getattr(project, "campaign", None)) for project in projects]
